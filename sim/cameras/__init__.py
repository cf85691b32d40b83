"""Shop cameras on the "mobile shop watching" platform (seed 004): registration, live view,
parameters, hotlink tokens, reboot and upgrade campaigns, cloud storage, business models."""
