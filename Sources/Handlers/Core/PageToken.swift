import Crypto

/// Opaque, tamper-evident pagination tokens: the last key of a page and the listing it belongs to, MACed with
/// the deployment's secret. A forged, altered or foreign token is an `InvalidParameterException`, never a
/// crash or a look at another pool's data.
public enum PageToken {
    public static func make(after key: String, scope: String, secret: [UInt8]) -> String {
        let payload = Array(key.utf8)
        return Base64URL.encode(payload) + "." + Base64URL.encode(mac(payload, scope: scope, secret: secret))
    }

    /// The key a token continues after; `scope` must be the one it was made for.
    public static func read(_ token: String, scope: String, secret: [UInt8]) throws(AWSError) -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Base64URL.decode(parts[0]), let tag = Base64URL.decode(parts[1]),
            let key = String(validating: payload, as: UTF8.self),
            constantTimeEquals(tag, mac(payload, scope: scope, secret: secret))
        else {
            throw AWSError.invalidParameter("Invalid pagination token.")
        }
        return key
    }

    static func mac(_ payload: [UInt8], scope: String, secret: [UInt8]) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret))
        hmac.update(data: Array("page:\(scope)\u{0}".utf8))
        hmac.update(data: payload)
        return Array(hmac.finalize())
    }
}

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}
