import CArgon2
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fields of a PHC string, read strictly before anything reaches libargon2 (which would otherwise allocate
/// whatever memory cost the string names). `nil` for anything malformed or beyond our ceilings, and for anything
/// libargon2's own decoder (`decode_string`, not exported) refuses: this reader replaced it when verification moved
/// to `argon2_verify_ctx`, so strings made before still verify and strings it refused are still refused.
struct PHC: Equatable {
    var parameters: PasswordHasher.Parameters
    var salt: [UInt8]
    var hash: [UInt8]

    var saltLength: Int { salt.count }
    var hashLength: Int { hash.count }

    init?(_ text: String) {
        // `$argon2id$v=19$m=..,t=..,p=..$salt$hash`; libargon2 also reads strings without `v=` as version 0x10.
        var parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5 || parts.count == 6, parts[0].isEmpty else { return nil }
        let type: argon2_type
        let version: UInt32
        switch parts[1] {
        case "argon2id": type = Argon2_id
        case "argon2i": type = Argon2_i
        case "argon2d": type = Argon2_d
        default: return nil
        }
        if parts.count == 6 {
            guard parts[2].hasPrefix("v="), let v = Self.number(parts[2].dropFirst(2)),
                v == UInt32(ARGON2_VERSION_10.rawValue) || v == UInt32(ARGON2_VERSION_13.rawValue)
            else { return nil }
            version = v
            parts.remove(at: 2)
        } else {
            version = UInt32(ARGON2_VERSION_10.rawValue)
        }
        let params = parts[2].split(separator: ",", omittingEmptySubsequences: false)
        guard params.count == 3, params[0].hasPrefix("m="), params[1].hasPrefix("t="), params[2].hasPrefix("p="),
            let m = Self.number(params[0].dropFirst(2)), let t = Self.number(params[1].dropFirst(2)),
            let p = Self.number(params[2].dropFirst(2))
        else { return nil }
        guard p >= 1, p <= PasswordHasher.maximumParallelism, t >= 1, t <= PasswordHasher.maximumIterations,
            m >= 8 * p, m <= PasswordHasher.maximumMemoryKiB
        else { return nil }
        parameters = PasswordHasher.Parameters(
            type: type, version: version, memoryKiB: m, iterations: t, parallelism: p)
        // libargon2's minimums: 8-byte salt (ARGON2_MIN_SALT_LENGTH), 4-byte hash (ARGON2_MIN_OUTLEN).
        guard let salt = Self.decode(parts[3]), salt.count >= 8, let hash = Self.decode(parts[4]), hash.count >= 4
        else { return nil }
        self.salt = salt
        self.hash = hash
    }

    /// The PHC string libargon2's `encode_string` writes: `$<type>$v=<version>$m=..,t=..,p=..$<salt>$<hash>`.
    static func encode(_ p: PasswordHasher.Parameters, salt: [UInt8], hash: [UInt8]) -> String {
        let type = argon2_type2string(p.type, 0).map { String(cString: $0) } ?? "argon2id"
        return "$\(type)$v=\(p.version)$m=\(p.memoryKiB),t=\(p.iterations),p=\(p.parallelism)$"
            + base64(salt) + "$" + base64(hash)
    }

    /// A decimal without sign or leading zeros (libargon2 rejects those too), within UInt32.
    private static func number(_ s: Substring) -> UInt32? {
        guard !s.isEmpty, s.count <= 10, s.allSatisfy({ $0.isASCII && $0.isNumber }),
            s == "0" || s.first != "0"
        else { return nil }
        return UInt32(s)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Unpadded standard base64, as libargon2 writes it.
    static func base64(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var group = UInt32(bytes[i]) << 16
            if n > 1 { group |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { group |= UInt32(bytes[i + 2]) }
            for k in 0...n { text.append(alphabet[Int(group >> (18 - 6 * UInt32(k))) & 0x3F]) }
            i += 3
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of unpadded standard base64, or nil when `s` is not that. Like libargon2's `from_base64`, the
    /// bits left over after the last whole byte must be zero, so each byte string has exactly one spelling.
    static func decode(_ s: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for b in s.utf8 {
            let d: UInt8
            switch b {
            case 0x41...0x5A: d = b - 0x41
            case 0x61...0x7A: d = b - 0x61 + 26
            case 0x30...0x39: d = b - 0x30 + 52
            case 0x2B: d = 62
            case 0x2F: d = 63
            default: return nil
            }
            acc = (acc << 6 | UInt32(d)) & 0xFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        // 6 bits left means a length of 1 mod 4; 2 or 4 left must all be zero.
        guard !bytes.isEmpty, bits <= 4, acc & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return bytes
    }
}
