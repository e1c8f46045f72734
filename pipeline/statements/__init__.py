"""The input side: finding statement files without trusting them, strict JSON,
decoding bodies, turning them into safe markup, language tags, and reading a
record's dates (EDTF). Shared by validate, render and check; never writes anything."""
