import Crypto

/// A small JSON value sealed with AES-256-GCM for a client to carry and hand back (refresh tokens, challenge
/// sessions): base64url of version byte, 12-byte nonce, ciphertext and tag. The key is derived from the
/// deployment's `secret.key`; the version byte and a purpose label are authenticated, so one kind of box can
/// never be accepted as another, and any altered or foreign box fails to open.
enum SealedJSON {
    /// Boxes larger than this are refused unread (a client controls what it sends back).
    static let maxLength = 2048

    static func seal(
        _ value: JSON, version: UInt8, purpose: [UInt8], secret: [UInt8], random: any RandomSource
    ) throws -> String {
        let nonce = random.bytes(12)
        let box = try AES.GCM.seal(
            value.serialized(), using: RefreshTokens.key(secret), nonce: AES.GCM.Nonce(data: nonce),
            authenticating: [version] + purpose)
        return Base64URL.encode([version] + nonce + Array(box.ciphertext) + Array(box.tag))
    }

    /// The value `text` seals, or nil when it is not a box of this version and purpose, or was altered.
    static func open(_ text: String, version: UInt8, purpose: [UInt8], secret: [UInt8]) -> JSON? {
        guard text.utf8.count <= maxLength, let bytes = Base64URL.decode(text),
            bytes.count > 1 + 12 + 16, bytes[0] == version
        else { return nil }
        let body = bytes[1...]
        guard
            let box = try? AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: body.prefix(12)), ciphertext: body.dropFirst(12).dropLast(16),
                tag: body.suffix(16)),
            let plaintext = try? AES.GCM.open(box, using: RefreshTokens.key(secret), authenticating: [version] + purpose)
        else { return nil }
        return try? JSON.parse(Array(plaintext))
    }
}
