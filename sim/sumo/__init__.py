"""Eclipse SUMO interoperability: networks, rides and taxis in, route files out."""
