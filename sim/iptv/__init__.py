"""IPTV deployments: set-top-box populations, access networks, boot storms, firmware campaigns."""
