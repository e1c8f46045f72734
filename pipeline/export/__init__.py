"""Moving packages: ``export`` writes a package as a deterministic tar of files
and folders only; ``unpack`` refuses any unsafe member, then extracts and verifies."""
