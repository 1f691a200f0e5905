import Foundation
import Testing

@testable import Handlers

/// `RandomSource.uuid()`: version 4, RFC 4122 variant, lower-case 8-4-4-4-12, from the source's 16 bytes.
struct UUIDTests {
    struct FixedBytes: RandomSource {
        let value: [UInt8]
        func bytes(_ count: Int) -> [UInt8] { Array(value.prefix(count)) }
    }

    /// The formatting `uuid()` had before it wrote its buffer directly: hex, then five slices.
    static func reference(_ bytes: [UInt8]) -> String {
        var b = bytes
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        let h = Array(Hex.encode(b))
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20])
            + "-" + String(h[20..<32])
    }

    @Test func knownBytes() {
        #expect(FixedBytes(value: Array(0..<16)).uuid() == "00010203-0405-4607-8809-0a0b0c0d0e0f")
        #expect(FixedBytes(value: Array(repeating: 0xFF, count: 16)).uuid() == "ffffffff-ffff-4fff-bfff-ffffffffffff")
        #expect(FixedBytes(value: Array(repeating: 0, count: 16)).uuid() == "00000000-0000-4000-8000-000000000000")
    }

    @Test func matchesTheFormerFormatting() {
        let random = SystemRandom()
        for _ in 0..<1_000 {
            let bytes = random.bytes(16)
            #expect(FixedBytes(value: bytes).uuid() == Self.reference(bytes))
        }
    }

    @Test func shapeAndBits() throws {
        for _ in 0..<1_000 {
            let id = SystemRandom().uuid()
            let b = Array(id.utf8)
            #expect(b.count == 36)
            for (i, c) in b.enumerated() {
                if [8, 13, 18, 23].contains(i) {
                    #expect(c == UInt8(ascii: "-"))
                } else {
                    #expect(Array("0123456789abcdef".utf8).contains(c), "\(id)")
                }
            }
            #expect(b[14] == UInt8(ascii: "4"))
            #expect(Array("89ab".utf8).contains(b[19]))
            #expect(UUID(uuidString: id) != nil)
        }
    }
}
