"""Money shared by every model kind: tariffs, billing rules, incentives, contracts, finance."""
