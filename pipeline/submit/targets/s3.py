"""S3-compatible object stores (``s3://bucket/prefix`` at an endpoint URL).

Every PUT carries ``Content-MD5``: S3 and Ceph RGW refuse a body that does not
match it (400 BadDigest), whereas a wrong ``x-amz-checksum-sha256`` is accepted
silently by some RGW releases, so MD5 is the digest the server is made to
check. The copy is confirmed by HEAD (size, ETag where it is a plain MD5, the
``sha256`` we stored in its metadata) and then by reading the object back and
comparing its SHA-256 with what was sent: what HEAD says was recorded on
receipt, and only the bytes show what the store keeps now.

Properties become object metadata (``x-amz-meta-*``). HTTP headers carry
ASCII only, so every value is percent-encoded UTF-8 (RFC 3986): ASCII values
without ``%`` read as themselves, and ``urllib.parse.unquote`` restores any.

Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID``…,
``~/.aws/credentials``). boto3's own retries are off: retries are ours, so
the ledger counts every try.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from typing import Any, Mapping
from urllib.parse import SplitResult, quote, urlsplit

from pipeline.core.errors import EnvironmentProblem, InputError
from pipeline.submit.targets import (
    Confirmation, Digest, Receipt, TargetError, TargetOptions, Transient, check_name, connection_failure, excerpt,
)

ENDPOINT_VARIABLE = "STATEMENT_ARCHIVE_S3_ENDPOINT"
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")
_PLAIN_MD5 = re.compile(r"[0-9a-f]{32}")
#: a Python class name as botocore's messages may quote one ("ProtocolError('Connection aborted.'")
_CLASS_NAME = re.compile(r"\b(?:[a-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception)\b(?:: ?)?")
_TRANSIENT_CODES = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"}


def encode_metadata(properties: Mapping[str, str]) -> dict[str, str]:
    """Object metadata that any S3 server stores unchanged: ASCII, no spaces."""
    return {key.lower(): quote(value, safe=_SAFE) for key, value in properties.items()}


class S3Target:
    def __init__(self, bucket: str, prefix: str, client: Any, endpoint: str | None):
        self.bucket, self.prefix, self.client = bucket, prefix, client
        self.url = f"s3://{bucket}/{prefix}" + (f" at {endpoint}" if endpoint else "")

    @classmethod
    def from_url(cls, parts: SplitResult, options: TargetOptions) -> "S3Target":
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise EnvironmentProblem("s3:// targets need the s3 extra (boto3): make install EXTRAS=s3 "
                                     "(or pip install 'statement-archive[s3]')") from None

        environ = os.environ if options.environ is None else options.environ
        bucket = parts.netloc
        if not bucket:
            raise InputError("an s3:// target needs a bucket, e.g. s3://records/inbox/")
        prefix = parts.path.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        endpoint = options.s3_endpoint or environ.get(ENDPOINT_VARIABLE) or environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            end = urlsplit(endpoint)
            if end.username is not None or end.password is not None:
                raise InputError("the S3 endpoint URL must not contain credentials")
            if end.scheme not in ("http", "https") or not end.hostname:
                raise InputError("the S3 endpoint must be an http:// or https:// URL")
        config = Config(
            connect_timeout=options.timeout, read_timeout=options.timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},  # max_attempts would be retries
            # we send Content-MD5 ourselves; no extra checksum the server may ignore
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": "path"},  # works with Ceph, MinIO and AWS alike
        )
        session = boto3.session.Session(
            aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY"),
            aws_session_token=environ.get("AWS_SESSION_TOKEN"),
            region_name=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        )
        client = session.client("s3", endpoint_url=endpoint or None, config=config)
        return cls(bucket, prefix, client, endpoint)

    def location(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.key(name)}"

    def key(self, name: str) -> str:
        return self.prefix + "/".join(check_name(name))

    def put(self, name: str, data: bytes, properties: Mapping[str, str]) -> Receipt:
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")
        answer = self._call("PUT", name, self.client.put_object, Bucket=self.bucket, Key=self.key(name),
                            Body=data, ContentMD5=md5, ContentType=_content_type(name),
                            Metadata=encode_metadata(properties))
        status = answer.get("ResponseMetadata", {}).get("HTTPStatusCode")
        version = f", version {answer['VersionId']}" if answer.get("VersionId") else ""
        return Receipt(self.location(name), f"{status} ETag {answer.get('ETag', '?')}{version}")

    def confirm(self, name: str, expected: Digest) -> Confirmation:
        where = self.location(name)
        try:
            head = self._call("HEAD", name, self.client.head_object, Bucket=self.bucket, Key=self.key(name))
        except TargetError as exc:
            if exc.status == 404:
                return Confirmation(False, where, "not found by HEAD (404)")
            raise
        size, etag = head.get("ContentLength"), str(head.get("ETag", "")).strip('"').lower()
        stored_sha = head.get("Metadata", {}).get("sha256", "")
        if size != expected.size:
            return Confirmation(False, where, f"HEAD says {size} bytes; sent {expected.size}")
        if stored_sha and stored_sha != expected.sha256:
            return Confirmation(False, where, f"metadata sha256 is {stored_sha}; sent {expected.sha256}")
        if _PLAIN_MD5.fullmatch(etag) and etag != expected.md5:
            return Confirmation(False, where, f"ETag {etag} is not the MD5 of what was sent "
                                f"({expected.md5})")
        # HEAD reports what the store computed on receipt; only the bytes it now
        # returns prove the copy (a store may damage what it keeps and still
        # answer with the ETag and metadata it recorded).
        found, length = self._call("GET", name, self._read_back, Bucket=self.bucket, Key=self.key(name))
        if (found, length) != (expected.sha256, expected.size):
            return Confirmation(False, where, f"read back {length} bytes with sha256 {found}; "
                                f"sent {expected.size} bytes with sha256 {expected.sha256}")
        return Confirmation(True, where, f"HEAD: {size} bytes, ETag {etag or '?'}; read back: "
                            f"sha256 {found}")

    def _read_back(self, **kwargs: Any) -> tuple[str, int]:
        """SHA-256 and length of the object as the store returns it, read in chunks."""
        body = self.client.get_object(**kwargs)["Body"]
        hasher, length = hashlib.sha256(), 0
        for chunk in body.iter_chunks(1 << 20):
            hasher.update(chunk)
            length += len(chunk)
        return hasher.hexdigest(), length

    def _call(self, method: str, name: str, operation: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import (
            BotoCoreError, ClientError, ConnectionError, HTTPClientError, NoCredentialsError,
        )

        where = f"{method} {self.location(name)}"
        try:
            return operation(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = error.get("Code", "")
            said = excerpt(f"{code}: {error.get('Message', '')}".strip(": "))
            message = f"{where}: {status} {said}"
            if code in _TRANSIENT_CODES or (status or 0) >= 500:
                raise Transient(message, status) from None
            raise TargetError(message, status) from None
        except NoCredentialsError:
            raise TargetError(f"{where}: no S3 credentials: set AWS_ACCESS_KEY_ID and "
                              "AWS_SECRET_ACCESS_KEY, or configure ~/.aws/credentials") from None
        except (ConnectionError, HTTPClientError) as exc:
            # connection refused or reset, timeouts
            endpoint = getattr(exc, "kwargs", {}).get("endpoint_url")
            at = f" (endpoint {endpoint})" if endpoint else ""
            raise Transient(f"{where}{at}: {connection_failure(exc)}") from None
        except BotoCoreError as exc:
            # botocore's own sentences carry no secrets; the class names some embed are dropped
            raise TargetError(f"{where}: {excerpt(_CLASS_NAME.sub('', str(exc)))}") from None


def _content_type(name: str) -> str:
    return {"pdf": "application/pdf", "json": "application/json"}.get(
        name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
