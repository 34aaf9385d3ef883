"""The world: the corridor map (raster, jurisdictions, features) and the routing graph over it."""
