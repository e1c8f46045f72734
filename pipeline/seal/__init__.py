"""The seal stage: prove who held each package and when, checkable with openssl alone.

- :mod:`.keys`         the office's signing key (create, import, load; permissions, passphrase)
- :mod:`.sign`         detached CAdES-BES signature over a package's tag manifest (pyHanko)
- :mod:`.timestamp`    one RFC 3161 request per TSA (pyHanko builds and checks it)
- :mod:`.tree`         the reduced hash tree: one timestamp covers every package of a run
- :mod:`.layout`       where a seal lives (``archive/seals/<package>/``) and its file names
- :mod:`.stage`        seal and reseal (renewal), written aside and renamed into place
- :mod:`.verify_seal`  checking a seal and its renewals
"""
