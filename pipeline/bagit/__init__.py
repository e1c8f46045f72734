"""BagIt 1.0 (RFC 8493), written and checked by us.

One idea per module:

- :mod:`.paths`     percent-encoding of manifest paths; safe-path checks; names that
                    collide on case-insensitive or normalising file systems
- :mod:`.manifest`  hashing (one read, many algorithms); manifest lines; is a manifest
                    exactly what our writer writes?
- :mod:`.textlines` tag-file lines (BOM, UTF-8, LF/CR/CRLF)
- :mod:`.tagfile`   ``bagit.txt`` and ``bag-info.txt``
- :mod:`.disk`      what is on disk in a bag, links not followed
- :mod:`.writer`    write a new bag into an empty folder, durably
- :mod:`.validator` check one bag (modes fast, completeness-only, full)
- :mod:`.completeness` manifests read and compared with the disk
- :mod:`.digests`   validity: every checksum of every manifest
- :mod:`.fetch`     ``fetch.txt`` (never fetched; missing files = incomplete)
- :mod:`.findings`  problems named ``<label>/<path in bag>``

We do not use bagit-python to write: it writes BagIt 0.97 and does not
percent-encode ``%`` in manifest paths. Tests use it to cross-check.
"""
