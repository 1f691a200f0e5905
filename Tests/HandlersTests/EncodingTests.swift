import Foundation
import Testing

@testable import Handlers

struct EncodingTests {
    /// Foundation's base64 with the URL alphabet and no padding: the reference the table codec must match.
    func reference(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test func base64URLRoundTripsEveryLength() {
        var rng = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = Base64URL.encode(bytes)
            #expect(text == reference(bytes))
            #expect(Base64URL.decode(text) == bytes)
        }
    }

    @Test func base64URLRefusesWhatIsNotCanonical() {
        #expect(Base64URL.decode("ab+c") == nil)  // standard alphabet
        #expect(Base64URL.decode("YQ==") == nil)  // padding
        #expect(Base64URL.decode("Y") == nil)  // impossible length
        #expect(Base64URL.decode("YR") == nil)  // non-zero leftover bits
        #expect(Base64URL.decode("YQ") == Array("a".utf8))
        #expect(Base64URL.decode("") == [])
        #expect(Base64URL.decode("é") == nil)
    }

    @Test func hexIsLowercase() {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
    }
}
