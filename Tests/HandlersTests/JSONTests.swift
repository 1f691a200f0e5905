import Testing

@testable import Handlers

struct JSONTests {
    func parse(_ text: String) -> JSON? { try? JSON.parse(text) }

    func fails(_ text: String) -> Bool {
        do {
            _ = try JSON.parse(text)
            return false
        } catch {
            return true
        }
    }

    @Test func scalars() throws {
        #expect(parse("null") == .null)
        #expect(parse("true") == .bool(true))
        #expect(parse(" false ") == .bool(false))
        #expect(parse("\"x\"") == .string("x"))
        #expect(parse("{}") == .object([:]))
        #expect(parse("[ ]") == .array([]))
    }

    @Test func numbersKeepWhetherTheyWereIntegers() {
        #expect(parse("0") == .int(0))
        #expect(parse("-12") == .int(-12))
        #expect(parse("1.5") == .double(1.5))
        #expect(parse("1e3") == .double(1000))
        #expect(parse("-2.5E-1") == .double(-0.25))
        #expect(parse("1700000000.25") == .double(1_700_000_000.25))
        // Larger than Int: kept as a double rather than refused.
        #expect(parse("123456789012345678901234567890") == .double(123456789012345678901234567890.0))
        #expect(fails("01"))
        #expect(fails("1."))
        #expect(fails(".5"))
        #expect(fails("-"))
        #expect(fails("1e"))
        #expect(fails("+1"))
        #expect(fails("1e999"))
        #expect(fails("NaN"))
    }

    @Test func duplicateMemberNamesAreRefused() {
        #expect(fails(#"{"a":1,"a":2}"#))
        #expect(fails(#"{"a":{"b":1,"b":1}}"#))
        #expect(parse(#"{"a":1,"A":2}"#) == .object(["a": .int(1), "A": .int(2)]))
    }

    @Test func nestingDepthIsCapped() {
        let ok = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        #expect(parse(ok) != nil)
        let deep = String(repeating: "[", count: JSON.maxDepth + 1) + String(repeating: "]", count: JSON.maxDepth + 1)
        #expect(fails(deep))
        let deepObjects = String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(fails(deepObjects))
    }

    @Test func invalidUTF8IsRefused() {
        #expect((try? JSON.parse([0x22, 0xFF, 0x22])) == nil)
        #expect((try? JSON.parse([0x22, 0xC3, 0x22])) == nil)  // truncated sequence
        #expect((try? JSON.parse([0x22, 0xED, 0xA0, 0x80, 0x22])) == nil)  // UTF-8-encoded surrogate
        #expect((try? JSON.parse([0x22, 0xC3, 0xA9, 0x22])) == .string("é"))
    }

    @Test func escapesAndSurrogates() {
        #expect(parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(parse(#""\u00e9\n\t\"\\\/""#) == .string("é\n\t\"\\/"))
        #expect(fails(#""\ud83d""#))  // lone high surrogate
        #expect(fails(#""\ude00""#))  // lone low surrogate
        #expect(fails(#""\ud83d\u0041""#))  // high surrogate followed by a non-surrogate
        #expect(fails(#""\x""#))
        #expect(fails(#""\u12""#))
        #expect(fails("\"a\nb\""))  // raw control character
    }

    @Test func malformedDocuments() {
        #expect(fails(""))
        #expect(fails("{"))
        #expect(fails(#"{"a":1,}"#))
        #expect(fails("[1,]"))
        #expect(fails(#"{"a" 1}"#))
        #expect(fails("{} {}"))
        #expect(fails("tru"))
        #expect(fails(#"{a:1}"#))
        #expect(fails(#""unterminated"#))
    }

    @Test func serializationIsCompactSortedAndEscaped() {
        let value = JSON.object([
            "b": .array([.int(1), .double(2.5), .double(3), .null, .bool(true)]),
            "a": .string("q\"\\\n\u{01}é"),
        ])
        #expect(value.serializedString() == #"{"a":"q\"\\\n\u0001é","b":[1,2.5,3,null,true]}"#)
        #expect(parse(value.serializedString()) == .object([
            "b": .array([.int(1), .double(2.5), .int(3), .null, .bool(true)]),
            "a": .string("q\"\\\n\u{01}é"),
        ]))
    }

    @Test func typeNames() {
        #expect(JSON.string("x").typeName == "STRING_VALUE")
        #expect(JSON.int(1).typeName == "NUMBER_VALUE")
        #expect(JSON.bool(true).serializationTypeName == "TRUE_VALUE")
        #expect(JSON.bool(false).serializationTypeName == "FALSE_VALUE")
        #expect(JSON.array([]).typeName == "START_ARRAY")
    }
}
