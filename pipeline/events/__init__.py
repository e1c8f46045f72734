"""The audit trail: ``log`` writes and reads ``archive/events.jsonl`` (hash-chained
PREMIS events), ``pipeline_events`` says what the pipeline logs, ``check``
proves the chain intact, ``premis`` exports PREMIS 3 XML."""
