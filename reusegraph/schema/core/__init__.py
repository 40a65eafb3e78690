"""Building blocks shared by every domain of the schema."""
