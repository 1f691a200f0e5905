import Foundation

/// A JSON Web Token in compact form, signed with RS256 (RFC 7515 / 7519): `base64url(header) "."
/// base64url(claims) "." base64url(signature)`.
///
/// Parsing trusts nothing: exactly three segments of canonical base64url (`Base64URL.decode` accepts no other
/// spelling), a header and claims that are JSON objects (our strict parser: no duplicate members), `alg` exactly
/// `RS256` (so no `none` and no HS256 made with a public key as the secret), no `crit` extensions. Only `verify`
/// makes the claims trustworthy.
public struct JWT: Sendable {
    public enum Failure: Error, Equatable, Sendable {
        /// Not three canonical base64url segments of JSON objects, or too long.
        case malformed
        /// `alg` other than RS256, or a `crit` header we would have to understand.
        case unsupportedAlgorithm
        /// No `kid`, or one the pool does not have.
        case unknownKey
        case badSignature
    }

    /// Our tokens are about 1 KiB; anything far larger is refused before any decoding.
    public static let maxLength = 16 * 1024

    public let header: [String: JSON]
    public let claims: [String: JSON]
    /// `header "." claims` exactly as received: what the signature covers.
    let signingInput: [UInt8]
    let signature: [UInt8]

    public var kid: String? { header["kid"]?.stringValue }

    public init(parsing token: String) throws(Failure) {
        let text = Array(token.utf8)
        guard text.count <= Self.maxLength else { throw .malformed }
        // Exactly three segments: two dots.
        let dot = UInt8(ascii: ".")
        guard let first = text.firstIndex(of: dot), let second = text[(first + 1)...].firstIndex(of: dot),
            !text[(second + 1)...].contains(dot),
            let headerBytes = Base64URL.decode(utf8: text[..<first]),
            let claimBytes = Base64URL.decode(utf8: text[(first + 1)..<second]),
            let signature = Base64URL.decode(utf8: text[(second + 1)...])
        else { throw .malformed }
        guard let header = (try? JSON.parse(headerBytes))?.objectValue,
            let claims = (try? JSON.parse(claimBytes))?.objectValue
        else { throw .malformed }
        guard header["alg"] == .string(PoolKey.algorithm), header["crit"] == nil else { throw .unsupportedAlgorithm }
        self.header = header
        self.claims = claims
        self.signature = signature
        signingInput = Array(text[..<second])
    }

    /// Checks the signature with the key of `keys` that the header's `kid` names.
    public func verify(with keys: PoolKeySet) throws(Failure) {
        guard let kid, let key = keys.key(kid: kid) else { throw .unknownKey }
        guard key.isValidSignature(signature, for: signingInput) else { throw .badSignature }
    }

    /// Signs `claims` with `key`: header `{"alg":"RS256","kid":...}` (members sorted, as our serializer writes).
    public static func sign(_ claims: [String: JSON], with key: PoolKey) throws -> String {
        let header = JSON.object(["alg": .string(PoolKey.algorithm), "kid": .string(key.kid)])
        let input = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(JSON.object(claims).serialized())
        return input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
    }
}
