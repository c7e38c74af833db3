import FolioStore
import FolioTestSupport
import Foundation
import Testing

/// Numbers in metadata round-trip exactly as Python's `json` module carries them: integers of any size
/// keep every digit, doubles are written as `repr(float)` writes them. Every expectation here is what
/// python3 itself prints for the same input.
@Suite struct JSONNumberTests {
    /// `script` run by python3 with `input` on stdin; its stdout.
    func python(_ script: String, input: Data) throws -> String {
        let result = try runCommand("/usr/bin/env", ["python3", "-c", "import json,sys,struct\n" + script], input: input)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    /// Python's `json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, **options)`.
    func pythonDumps(_ text: String, options: String = "") throws -> String {
        try python(
            "sys.stdout.buffer.write(json.dumps(json.loads(sys.stdin.buffer.read()), sort_keys=True, ensure_ascii=False\(options)).encode())",
            input: Data(text.utf8))
    }

    /// Every number the brief names, in several spellings, nested in arrays and objects.
    static let numbers = """
        {"big": 123456789012345678901234567890, "neg_big": -123456789012345678901234567890,
         "int64_edges": [9223372036854775807, 9223372036854775808, -9223372036854775808, -9223372036854775809, 18446744073709551616],
         "minus_zero": -0.0, "one": 1.0, "tenth": 0.1, "huge": 1e300, "tiniest": 5e-324, "e16": 1e16, "e15": 1E15,
         "mixed": 123456789.123, "spellings": [1.0e+16, 0.10, 100e-2, 1.5e-7, 1e-5, 0.0001, 2.5E+29, -0, 0.0, -1e-400, 1e22],
         "nested": {"deeper": [{"a": 98765432109876543210987654321098765432109876543210, "b": [1.0, -0.0]}], "z": 12345678901234567.0}}
        """

    @Test func theEnvelopeWritesEveryNumberAsPythonDoes() throws {
        let metadata = try #require(try JSONValue.parse(Data(Self.numbers.utf8)).objectValue)
        let ours = Envelope(content: "numbers", metadata: metadata, type: "prd").encoded()
        let source = #"{"content": "numbers", "type": "prd", "metadata": "# + Self.numbers + "}"
        #expect(String(decoding: ours, as: UTF8.self) == (try pythonDumps(source)))
        // Read back from git's bytes and written again: the same bytes.
        let reread = try Envelope.decode(ours)
        #expect(reread.metadata == metadata)
        #expect(reread.encoded() == ours)
        #expect(String(decoding: ours, as: UTF8.self).contains(#""big": 123456789012345678901234567890, "#))
        #expect(String(decoding: ours, as: UTF8.self).contains(#""one": 1.0, "#))
    }

    @Test func compactAndPrettyLayoutsMatchPythonsSeparatorsAndIndent() throws {
        let value = try JSONValue.parse(Data(Self.numbers.utf8))
        #expect(String(decoding: value.bytes(layout: .compact), as: UTF8.self) == (try pythonDumps(Self.numbers, options: ", separators=(',', ':')")))
        #expect(String(decoding: value.bytes(layout: .pretty(indent: 2)), as: UTF8.self) == (try pythonDumps(Self.numbers, options: ", indent=2")))
        #expect(String(decoding: value.bytes(layout: .canonical), as: UTF8.self) == value.canonicalText)
        let empty = try JSONValue.parse(Data(#"{"a": [], "b": {}, "c": [[]]}"#.utf8))
        #expect(String(decoding: empty.bytes(layout: .pretty(indent: 2)), as: UTF8.self) == (try pythonDumps(#"{"a": [], "b": {}, "c": [[]]}"#, options: ", indent=2")))
    }

    @Test func theNamedDoublesArePrintedAsPythonsRepr() throws {
        let doubles: [Double] = [-0.0, 0.0, 1.0, -1.0, 0.1, 1e300, 5e-324, 1e16, 1e15, 123456789.123, 1.5e-7, 1e-5, 1e-4, 0.001, 2.5e29,
                                 1.2345678901234568e+29, 12345678901234567.0, 9007199254740993, .greatestFiniteMagnitude, .leastNormalMagnitude, 1e22, 1e23, 100]
        let expected = try python(
            "print(' '.join(repr(struct.unpack('<d', struct.pack('<Q', int(n)))[0]) for n in sys.stdin.read().split()), end='')",
            input: Data(doubles.map { String($0.bitPattern) }.joined(separator: " ").utf8))
        #expect(doubles.map(JSONValue.pythonRepr).joined(separator: " ") == expected)
        #expect(JSONValue.pythonRepr(1.0) == "1.0" && JSONValue.pythonRepr(1e16) == "1e+16" && JSONValue.pythonRepr(1.5e-7) == "1.5e-07")
        #expect(JSONValue.pythonRepr(-0.0) == "-0.0" && JSONValue.pythonRepr(5e-324) == "5e-324" && JSONValue.pythonRepr(1e300) == "1e+300")
    }

    @Test func randomDoublesOfEveryMagnitudeArePrintedAsPythonsRepr() throws {
        var generator = SystemRandomNumberGenerator()
        var doubles: [Double] = []
        while doubles.count < 4000 {
            // Random bit patterns cover every exponent (subnormals included); short decimals cover the
            // values people type.
            let value = doubles.count.isMultiple(of: 2)
                ? Double(bitPattern: generator.next())
                : Double(Int.random(in: -999_999...999_999)) * pow(10, Double(Int.random(in: -30...30)))
            if value.isFinite { doubles.append(value) }
        }
        let expected = try python(
            "print(json.dumps([struct.unpack('<d', struct.pack('<Q', int(n)))[0] for n in sys.stdin.read().split()]), end='')",
            input: Data(doubles.map { String($0.bitPattern) }.joined(separator: " ").utf8))
        #expect(JSONValue.array(doubles.map(JSONValue.double)).canonicalText == expected)
        // And each reads back as the same double.
        let reread = try JSONValue.parse(Data(expected.utf8))
        #expect(reread == .array(doubles.map(JSONValue.double)))
    }

    @Test func integersOfAnySizeKeepEveryDigit() throws {
        let parse = { (text: String) in try JSONValue.parse(Data(text.utf8)) }
        let big = "123456789012345678901234567890"
        #expect(try parse(big) == .int(try #require(JSONInteger(big))))
        #expect(try parse(big).canonicalText == big)
        #expect(try parse("-" + big).canonicalText == "-" + big)
        #expect(try parse("9223372036854775807") == .int(JSONInteger(Int64.max)))
        #expect(try parse("9223372036854775808").canonicalText == "9223372036854775808")
        #expect(try parse("-9223372036854775809").canonicalText == "-9223372036854775809")
        #expect(try parse("-0") == .int(0), "Python reads -0 as the integer 0")
        #expect(JSONInteger(UInt64.max).description == "18446744073709551615")
        #expect(JSONInteger("000123") == JSONInteger(123) && JSONInteger("-000") == JSONInteger(0))
        #expect(JSONInteger("0001" + big)?.description == "1" + big)
        #expect(JSONInteger("12a") == nil && JSONInteger("") == nil && JSONInteger("-") == nil && JSONInteger("+1") == nil)
        #expect(try parse(big) != parse("1" + big) && (try parse(big)) != .double(1.2345678901234568e+29))

        // Python refuses to read integers of more than 4300 digits; so does Folio.
        let longest = "9" + String(repeating: "0", count: 4299)
        #expect(try parse(longest).canonicalText == longest)
        #expect(throws: (any Error).self) { try parse(longest + "0") }
        let pythonRefuses = try runCommand("/usr/bin/env", ["python3", "-c", "import json,sys; json.loads(sys.stdin.read())"], input: Data((longest + "0").utf8))
        #expect(pythonRefuses.status != 0)
    }

    @Test func theReplyEncoderWritesMetadataNumbersExactly() throws {
        struct Reply: Encodable {
            var metadata: [String: JSONValue]
            var changes: [JSONValue?]
            var ratio: Double
            var count: UInt64
        }
        let metadata = try #require(try JSONValue.parse(Data(Self.numbers.utf8)).objectValue)
        let reply = Reply(metadata: metadata, changes: [.double(1.0), nil, .int(JSONInteger("-123456789012345678901234567890")!)], ratio: 2.0, count: .max)
        let text = String(decoding: try JSONValueEncoder().encode(reply), as: UTF8.self)
        let expectedMetadata = try pythonDumps(Self.numbers, options: ", separators=(',', ':')")
        #expect(text == #"{"changes":[1.0,null,-123456789012345678901234567890],"count":18446744073709551615,"metadata":"# + expectedMetadata + #","ratio":2.0}"#)
    }

    @Test func theReplyEncoderWritesEverythingElseAsJSONEncoderDid() throws {
        struct Inner: Encodable { var id: ObjectIDLike; var note: String? }
        struct ObjectIDLike: Encodable {
            var hex: String
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(hex)
            }
        }
        enum Kind: String, Encodable { case prd, implementation }
        struct Reply: Encodable {
            var file_key: String
            var when: Date
            var never: Date?
            var url: URL
            var kinds: [Kind]
            var inner: [Inner]
            var counts: [String: Int]
            var flags: [Bool]
            var optionalList: [Int]?
            var text: String
            var small: Int8
            var nothing: String?

            func encode(to encoder: any Encoder) throws {
                enum Keys: String, CodingKey { case file_key, when, never, url, kinds, inner, counts, flags, optionalList, text, small, nothing }
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(file_key, forKey: .file_key)
                try container.encode(when, forKey: .when)
                try container.encode(never, forKey: .never)
                try container.encode(url, forKey: .url)
                try container.encode(kinds, forKey: .kinds)
                try container.encode(inner, forKey: .inner)
                try container.encode(counts, forKey: .counts)
                var nested = container.nestedUnkeyedContainer(forKey: .flags)
                for flag in flags { try nested.encode(flag) }
                try container.encodeIfPresent(optionalList, forKey: .optionalList)
                try container.encode(text, forKey: .text)
                try container.encode(small, forKey: .small)
                try container.encodeIfPresent(nothing, forKey: .nothing)
            }
        }
        let reply = Reply(
            file_key: "p1/prd/main_prd.json", when: Date(timeIntervalSince1970: 1_714_563_000.75), never: nil,
            url: URL(string: "http://h/files/p1/prd/x.json?sig=a%2Fb")!, kinds: [.prd, .implementation],
            inner: [Inner(id: ObjectIDLike(hex: "ab12"), note: nil), Inner(id: ObjectIDLike(hex: "cd34"), note: "n")],
            counts: ["b": 2, "a": 1, "Z": 0], flags: [true, false], optionalList: nil,
            text: "slash / quote \" back \\ tab \t nl \n ctl \u{01} é 中文 🚀 </script>", small: -8, nothing: nil)
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        foundation.dateEncodingStrategy = .iso8601
        let expected = try foundation.encode(reply)
        let ours = try JSONValueEncoder().encode(reply)
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(String(decoding: ours, as: UTF8.self).contains(#""when":"2024-05-01T11:30:00Z""#))
    }

    @Test func foundationsEncoderStillGetsIntegersBeyond64BitsExactlyUpTo38Digits() throws {
        // What the CLI's `--json` (JSONEncoder) sees until it switches to JSONValueEncoder: big integers as
        // Decimal, exact to 38 digits; doubles lose Python's `.0` there (Foundation writes 1.0 as 1).
        let value = try JSONValue.parse(Data(#"[123456789012345678901234567890, -99999999999999999999999999999999999999, 7]"#.utf8))
        let encoder = JSONEncoder()
        #expect(String(decoding: try encoder.encode(value), as: UTF8.self) == "[123456789012345678901234567890,-99999999999999999999999999999999999999,7]")
    }

    @Test func nonFiniteDoublesAreRefusedByTheReplyEncoder() {
        struct Reply: Encodable { var value: Double }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(Reply(value: .infinity)) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode([Double.nan]) }
    }
}
