"""The city fleet model: road network, demand, vehicles and drivers, dispatch."""
