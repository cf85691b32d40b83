"""The 7x24 customer-service hotline: agents, Poisson calls, queueing or blocked calls lost."""
