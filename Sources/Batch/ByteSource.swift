import CZlib
import Foundation
import Synchronization

/// An input file's bytes, chunk by chunk: a file or stdin (`-`), plain or gzip
/// (recognized by its magic bytes, not its name; concatenated members are read on).
final class ByteSource: @unchecked Sendable {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let path: String
    private var isGzip = false
    private var stream = z_stream()
    private var compressed = [UInt8](repeating: 0, count: 1 << 20)
    private var compressedCount = 0
    private var atEnd = false
    /// A gzip member has started and not ended: the end of input here means a truncated file.
    private var memberOpen = false
    /// Bytes read before the format was known (the magic-number probe).
    private var pending: [UInt8] = []
    /// Size of the file on disk (0 for stdin and pipes): with `bytesRead`, the progress.
    let totalBytes: Int
    private let bytesReadCounter = Atomic<Int>(0)
    /// Raw (compressed) bytes read so far; safe to read from another thread.
    var bytesRead: Int { bytesReadCounter.load(ordering: .relaxed) }

    init(path: String) throws(BatchError) {
        self.path = path
        if path == "-" {
            descriptor = 0
            ownsDescriptor = false
            totalBytes = 0
        } else {
            descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { throw BatchError("cannot read \(path): \(String(cString: strerror(errno)))") }
            ownsDescriptor = true
            var info = stat()
            if fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                close(descriptor)
                throw BatchError("cannot read \(path): it is a directory")
            }
            totalBytes = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : 0
        }
        let probed = try readRaw(into: &compressed, offset: 0)
        compressedCount = probed
        isGzip = probed >= 2 && compressed[0] == 0x1f && compressed[1] == 0x8b
        if isGzip {
            guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw BatchError("cannot read \(path): zlib failed to start")
            }
            stream.avail_in = UInt32(probed)
        } else {
            pending = Array(compressed[0..<probed])
            compressedCount = 0
        }
    }

    deinit {
        if isGzip { inflateEnd(&stream) }
        if ownsDescriptor { close(descriptor) }
    }

    /// Fills `buffer` (replacing its contents) with up to `capacity` bytes; empty at the end.
    func next(into buffer: inout [UInt8], capacity: Int) throws(BatchError) {
        buffer.removeAll(keepingCapacity: true)
        if !pending.isEmpty {
            buffer.append(contentsOf: pending)
            pending = []
            return
        }
        if isGzip {
            try inflateChunk(into: &buffer, capacity: capacity)
        } else {
            buffer.reserveCapacity(capacity)
            var scratch = [UInt8](repeating: 0, count: capacity)
            let count = try readRaw(into: &scratch, offset: 0)
            buffer.append(contentsOf: scratch[0..<count])
        }
    }

    private func readRaw(into bytes: inout [UInt8], offset: Int) throws(BatchError) -> Int {
        var total = offset
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + total, $0.count - total) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BatchError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            total += count
            bytesReadCounter.add(count, ordering: .relaxed)
        }
        return total - offset
    }

    private func inflateChunk(into buffer: inout [UInt8], capacity: Int) throws(BatchError) {
        var output = [UInt8](repeating: 0, count: capacity)
        var produced = 0
        while produced < capacity {
            if stream.avail_in == 0 {
                if atEnd { break }
                compressedCount = try readRaw(into: &compressed, offset: 0)
                if compressedCount == 0 {
                    atEnd = true
                    if memberOpen { throw BatchError("cannot read \(path): the gzip data is truncated") }
                    break
                }
                stream.avail_in = UInt32(compressedCount)
            }
            let consumedBefore = compressedCount - Int(stream.avail_in)
            let status: Int32 = compressed.withUnsafeMutableBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    stream.next_in = input.baseAddress! + consumedBefore
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = UInt32(capacity - produced)
                    memberOpen = true
                    let status = inflate(&stream, Z_NO_FLUSH)
                    produced = capacity - Int(stream.avail_out)
                    return status
                }
            }
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                // Another gzip member may follow (cat a.gz b.gz).
                memberOpen = false
                inflateReset(&stream)
                if stream.avail_in == 0 {
                    compressedCount = try readRaw(into: &compressed, offset: 0)
                    if compressedCount == 0 { atEnd = true; break }
                    stream.avail_in = UInt32(compressedCount)
                }
            default:
                throw BatchError("cannot read \(path): corrupt gzip data (zlib error \(status))")
            }
        }
        buffer.append(contentsOf: output[0..<produced])
    }
}
