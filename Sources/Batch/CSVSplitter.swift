/// Splits CSV bytes into records of fields (RFC 4180: quoted fields with
/// commas, newlines and doubled quotes inside; LF or CRLF line ends). Works on
/// one buffer at a time: a record cut off at the buffer's end is left for the
/// caller to carry into the next buffer.
struct CSVSplitter {
    typealias Field = UnsafeBufferPointer<UInt8>

    private(set) var fields: [Field] = []
    /// Set when the current record is not well-formed CSV (it is still reported).
    private(set) var recordError: String?
    /// Unescaped copies of quoted fields that contained doubled quotes.
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity: Int
    private var scratchUsed = 0

    init() {
        scratchCapacity = 1 << 16
        scratch = .allocate(capacity: scratchCapacity)
    }

    func deallocate() { scratch.deallocate() }

    private static let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""),
                       newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    /// Calls `onRecord` for every complete record in `buffer` (with `fields` set)
    /// and returns where an incomplete last record starts (`buffer.count` when
    /// none). With `isFinal`, the end of the buffer ends the last record.
    /// Empty lines are skipped.
    mutating func split(_ buffer: UnsafeBufferPointer<UInt8>, isFinal: Bool,
                        onRecord: (inout CSVSplitter) throws -> Void) rethrows -> Int {
        if scratchCapacity < buffer.count {
            scratch.deallocate()
            scratchCapacity = buffer.count
            scratch = .allocate(capacity: scratchCapacity)
        }
        guard let base = buffer.baseAddress else { return 0 }
        let end = buffer.count
        var position = 0
        while position < end {
            let recordStart = position
            // Skip empty lines.
            if base[position] == Self.newline { position += 1; continue }
            if base[position] == Self.carriageReturn && position + 1 < end && base[position + 1] == Self.newline {
                position += 2
                continue
            }
            fields.removeAll(keepingCapacity: true)
            recordError = nil
            scratchUsed = 0
            var complete = false
            while true {
                // One field starts at `position`.
                if position < end && base[position] == Self.quote {
                    guard let after = quotedField(base, from: position, end: end, isFinal: isFinal) else {
                        return recordStart  // the closing quote is in the next buffer
                    }
                    position = after
                } else {
                    let start = position
                    while position < end {
                        let byte = base[position]
                        if byte == Self.comma || byte == Self.newline { break }
                        position += 1
                    }
                    if position == end && !isFinal { return recordStart }
                    var fieldEnd = position
                    if fieldEnd > start && base[fieldEnd - 1] == Self.carriageReturn && (position == end || base[position] == Self.newline) {
                        fieldEnd -= 1
                    }
                    fields.append(Field(start: base + start, count: fieldEnd - start))
                }
                if position >= end {
                    complete = true
                    break
                }
                let delimiter = base[position]
                position += 1
                if delimiter == Self.newline {
                    complete = true
                    break
                }
                if delimiter == Self.carriageReturn {
                    // "…",\r\n after a quoted field.
                    if position < end && base[position] == Self.newline { position += 1 }
                    complete = true
                    break
                }
                if delimiter != Self.comma {
                    recordError = "unexpected character after a closing quote"
                    while position < end && base[position] != Self.newline { position += 1 }
                    if position == end && !isFinal { return recordStart }
                    position = min(position + 1, end)
                    complete = true
                    break
                }
                if position == end {
                    // A trailing comma at the very end: one more empty field.
                    if !isFinal { return recordStart }
                    fields.append(Field(start: base + end, count: 0))
                    complete = true
                    break
                }
            }
            if complete { try onRecord(&self) }
        }
        return end
    }

    /// Reads the quoted field starting at `start` (the opening quote); returns
    /// the position after its closing quote, or nil when the buffer ends first.
    private mutating func quotedField(_ base: UnsafePointer<UInt8>, from start: Int, end: Int, isFinal: Bool) -> Int? {
        var position = start + 1
        let contentStart = position
        var hasDoubledQuotes = false
        while true {
            guard position < end else {
                if !isFinal { return nil }
                recordError = "a quoted field is not closed"
                fields.append(Field(start: base + contentStart, count: end - contentStart))
                return end
            }
            if base[position] == Self.quote {
                if position + 1 < end && base[position + 1] == Self.quote {
                    hasDoubledQuotes = true
                    position += 2
                    continue
                }
                if position + 1 == end && !isFinal { return nil }  // maybe a doubled quote split by the buffer
                break
            }
            position += 1
        }
        if hasDoubledQuotes {
            let copyStart = scratchUsed
            var index = contentStart
            while index < position {
                scratch[scratchUsed] = base[index]
                scratchUsed += 1
                index += base[index] == Self.quote ? 2 : 1
            }
            fields.append(Field(start: UnsafePointer(scratch + copyStart), count: scratchUsed - copyStart))
        } else {
            fields.append(Field(start: base + contentStart, count: position - contentStart))
        }
        return position + 1
    }
}
