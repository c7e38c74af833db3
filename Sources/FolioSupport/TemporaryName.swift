/// The random part of a temporary file's name: 32 hex digits from getrandom(2).
///
/// Fixed width on purpose: the leftover cleaner tells Folio's own `tmp_pack_…` files (long names, no
/// other writer) from git's `tmp_pack_XXXXXX` (six characters, maybe a live push) by length. Not
/// Foundation's `UUID`, which opens /dev/urandom for each one.
public enum TemporaryName {
    public static func token() -> String {
        var generator = SystemRandomNumberGenerator()
        return hex(generator.next()) + hex(generator.next())
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
