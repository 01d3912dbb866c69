"""One module per API resource; each calls the pages' own selectors and services."""
