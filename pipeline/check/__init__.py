"""Check stage: read every rendered PDF back and prove it is what was meant.
Today :mod:`pipeline.check_pdf` holds the stage; :mod:`.validators` its independent validators."""
