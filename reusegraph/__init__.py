"""reusegraph: find and reuse municipalities' automation work through one GraphQL API."""

__version__ = "0.1.0"
