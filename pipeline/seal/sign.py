"""The signature: a detached CMS SignedData (CAdES-BES) over a package's tag manifest.

pyHanko writes it: content type, message digest, signing time and the ESS
signing-certificate-v2 attribute (what makes CMS CAdES-BES), with the
signer's certificate and chain embedded so the seal carries what validation
needs. `openssl cms -verify -binary -inform DER` reads it.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from asn1crypto import keys as asn1_keys, x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from pipeline.seal.keys import SigningKey

SIGNATURE_DIGEST = "sha512"


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def signer_for(key: SigningKey) -> SimpleSigner:
    """A pyHanko signer for *key* (built once per run; no file is re-read)."""
    private = asn1_keys.PrivateKeyInfo.load(key.private_key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    registry = SimpleCertificateStore()
    registry.register_multiple([asn1_certificate(c) for c in key.chain])
    return SimpleSigner(asn1_certificate(key.certificate), private, registry)


def sign_detached(signer: SimpleSigner, data: bytes, when: dt.datetime) -> bytes:
    """DER bytes of a detached CAdES-BES signature over *data*, claiming signing time *when*."""
    content = asyncio.run(signer.async_sign_general_data(
        data, SIGNATURE_DIGEST, detached=True, use_cades=True,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=when)))
    return content.dump()
