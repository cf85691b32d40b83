"""The IPTV rollout year (kind ``iptv_rollout``): adoption, installers, platform, hotline, money."""
