"""What every stage shares: the records stages pass each other, the error tree,
the table of problem codes, the clock, and crash-safe file writing and locks.
Imports nothing else of the pipeline."""
