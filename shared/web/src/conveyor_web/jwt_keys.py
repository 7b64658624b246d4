"""Ed25519 key pairs for signing access tokens.

``python -m conveyor_web.jwt_keys DIR`` writes ``jwt_private.pem`` and ``jwt_public.pem``
into DIR unless they already exist (used by ``make run`` for a development pair).
"""

from __future__ import annotations

import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def generate() -> tuple[str, str]:
    """Return a new ``(private_pem, public_pem)`` pair."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def ensure(directory: Path) -> bool:
    """Write a key pair into ``directory`` if none is there; return whether one was made."""
    private_file = directory / "jwt_private.pem"
    public_file = directory / "jwt_public.pem"
    if private_file.exists() and public_file.exists():
        return False
    directory.mkdir(parents=True, exist_ok=True)
    private_pem, public_pem = generate()
    private_file.write_text(private_pem)
    private_file.chmod(0o600)
    public_file.write_text(public_pem)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "var/keys")
    print(("made" if ensure(target) else "kept") + f" key pair in {target}")
