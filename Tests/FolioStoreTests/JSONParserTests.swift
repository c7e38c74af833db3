import FolioStore
import Foundation
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    @Test func numbersKeepTheKindPythonGivesThem() throws {
        #expect(try parse("123") == .int(123))
        #expect(try parse("-7") == .int(-7))
        #expect(try parse("2.0") == .double(2.0), "a fraction makes a double, so 2.0 is written back as 2.0")
        #expect(try parse("1e2") == .double(100))
        #expect(try parse("-0.5E-1") == .double(-0.05))
        #expect(try parse("92233720368547758070") == .int(JSONInteger("92233720368547758070")!), "too big for 64 bits, still an integer")
        #expect(try parse("92233720368547758070").canonicalText == "92233720368547758070", "every digit kept, as Python keeps them")
        #expect(try parse("[1.5, 2]").canonicalText == "[1.5, 2]")
        #expect(try parse("{\"v\": 2.0}").canonicalText == "{\"v\": 2.0}")
    }

    @Test func stringsDecodeEveryEscapeAndKeepUTF8() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""caf\u00e9 \ud83d\ude80 中文 é""#) == .string("café 🚀 中文 é"))
        #expect(try parse(#"" spaces  kept ""#) == .string(" spaces  kept "))
        #expect(try parse(#"{"a": {"b": [true, false, null, {}, []]}, "a2": "x"}"#)
                == .object(["a": .object(["b": .array([.bool(true), .bool(false), .null, .object([:]), .array([])])]), "a2": .string("x")]))
        #expect(try parse(" \n\t{ \"k\" : 1 , \"k\" : 2 } \r\n") == .object(["k": .int(2)]), "the last of repeated names wins")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e", ".5", "\"unterminated", "\"tab\there\"", #""\x""#,
        #""\ud83d""#, #""\ud83d\u0041""#, "[1] 2", "tru", "nul", "{1: 2}", "[\"a\" \"b\"]", "NaN", "Infinity",
    ])
    func invalidTextIsRefused(text: String) {
        #expect(throws: (any Error).self) { try parse(text) }
    }

    @Test func invalidUTF8AndDeepNestingAreRefused() {
        #expect(throws: (any Error).self) { try JSONValue.parse(Data([0x22, 0xff, 0xfe, 0x22])) }
        #expect(throws: (any Error).self) { try parse(String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)) }
        #expect((try? parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100))) != nil)
    }
}
