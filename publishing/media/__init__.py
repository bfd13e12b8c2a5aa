"""Media: uploads validated by content, renditions with a focal point, the media library."""
