/// Time and duration text for command-line options, parsed as batch input is.
public enum BatchTimes {
    public static func epochSeconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { TimeText.parse($0) }
    }

    public static func durationSeconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { DurationText.parseSeconds($0) }
    }
}
