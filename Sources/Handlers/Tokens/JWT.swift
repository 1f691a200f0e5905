import Foundation

/// A JSON Web Token in compact form, signed with RS256 (RFC 7515 / 7519): `base64url(header) "."
/// base64url(claims) "." base64url(signature)`.
///
/// Parsing trusts nothing: exactly three segments of canonical base64url, a header and claims that are JSON
/// objects (our strict parser: no duplicate members), `alg` exactly `RS256` (so no `none` and no HS256 made with
/// a public key as the secret), no `crit` extensions. Only `verify` makes the claims trustworthy.
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
        guard token.utf8.count <= Self.maxLength else { throw .malformed }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Self.decode(parts[0]), let claimBytes = Self.decode(parts[1]),
            let signature = Self.decode(parts[2])
        else { throw .malformed }
        guard let header = (try? JSON.parse(headerBytes))?.objectValue,
            let claims = (try? JSON.parse(claimBytes))?.objectValue
        else { throw .malformed }
        guard header["alg"] == .string(PoolKey.algorithm), header["crit"] == nil else { throw .unsupportedAlgorithm }
        self.header = header
        self.claims = claims
        self.signature = signature
        signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
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

    /// base64url without padding, and only the canonical spelling (unused trailing bits zero), so one token has
    /// one spelling.
    static func decode(_ segment: Substring) -> [UInt8]? {
        guard let bytes = Base64URL.decode(segment), Base64URL.encode(bytes) == segment else { return nil }
        return bytes
    }
}
