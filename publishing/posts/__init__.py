"""Posts: the composer, variants, localization, campaigns, the posts list, bulk actions, CSV import."""
