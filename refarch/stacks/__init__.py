"""One module per pattern, each a Stack composed of `refarch.constructs`."""
