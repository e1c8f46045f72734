"""The input side: what a statement record says, read without trusting it.

Today this package holds :mod:`.edtf`, the reading of a record's dates;
finding statement files, strict JSON, body decoding and language tags move
here from the flat modules of ``pipeline/`` as the restructuring proceeds.
Nothing here renders, checks or writes: other stages import it.
"""
