"""The archive folder: package names, listing packages, the lock, and the
check of one of our packages on its own (RFC 8493 plus our stricter rules),
shared by package, verify and submit."""
