"""The input side: finding statement files without trusting them, strict JSON,
decoding bodies, turning them into safe markup, and language tags. Shared by
validate, render and check; never writes anything."""
