#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct FileSystemError: Error, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32

    public init(_ operation: String, _ path: String, _ code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}

/// A file written front to back in pieces, with a running CRC-32, so a large image never
/// has to sit in memory whole (merges stream their postings through one).
public final class FileSink {
    public let path: String
    private let fd: Int32
    private var closed = false
    /// Bytes written so far, and their CRC-32.
    public private(set) var count = 0
    public private(set) var checksum: UInt32 = 0

    public init(path: String) throws {
        self.path = path
        fd = try FileSystem.syscall("open", path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
    }

    deinit { if !closed { close(fd) } }

    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    public func append(_ raw: UnsafeRawBufferPointer) throws {
        checksum = CRC32.checksum(raw, seed: checksum)
        try FileSystem.writeAll(fd, raw, path: path)
        count += raw.count
    }

    /// fsyncs and closes the file.
    public func sync() throws {
        try FileSystem.syscall("fsync", path) { fsync(fd) }
        closed = true
        close(fd)
    }
}

/// The system calls the index needs, each retried on EINTR and turned into a thrown error.
public enum FileSystem {
    @discardableResult
    static func syscall(_ operation: String, _ path: String, _ body: () -> Int32) throws -> Int32 {
        while true {
            let r = body()
            if r >= 0 { return r }
            if errno == EINTR { continue }
            throw FileSystemError(operation, path)
        }
    }

    /// Writes `bytes` to `path` (created or truncated) and fsyncs it.
    public static func writeAndSync(_ path: String, _ bytes: [UInt8]) throws {
        try write(path, bytes, sync: true)
    }

    /// Writes `bytes` to `path` (created or truncated), fsynced only when `sync` is set: a
    /// file that may be deleted before any commit names it need not reach the disk (`sync(_:)`
    /// makes it durable later if it stays).
    public static func write(_ path: String, _ bytes: [UInt8], sync: Bool) throws {
        let fd = try syscall("open", path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
        if sync { try syscall("fsync", path) { fsync(fd) } }
    }

    /// fsyncs a file written earlier.
    public static func sync(_ path: String) throws {
        let fd = try syscall("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        try syscall("fsync", path) { fsync(fd) }
    }

    /// Writes all of `raw` to `fd`, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path)
            }
            offset += n
        }
    }

    /// Makes renames and creations in a directory durable.
    public static func syncDirectory(_ path: String) throws {
        let fd = try syscall("open", path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try syscall("fsync", path) { fsync(fd) }
    }

    public static func rename(_ from: String, _ to: String) throws {
        try syscall("rename", from) { Glibc.rename(from, to) }
    }

    /// Write-fsync-rename: readers see the old file or the whole new one, never a part.
    /// The directory is synced afterwards when `syncDirectory` is set.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], syncDirectory sync: Bool = true) throws {
        let temporary = path + ".tmp"
        try writeAndSync(temporary, bytes)
        try rename(temporary, path)
        if sync { try syncDirectory(parent(of: path)) }
    }

    public static func remove(_ path: String) {
        _ = unlink(path)
    }

    public static func makeDirectory(_ path: String) throws {
        var components: [String] = []
        var current = path
        while !current.isEmpty && current != "/" && !exists(current) {
            components.append(current)
            current = parent(of: current)
        }
        for dir in components.reversed() {
            if mkdir(dir, 0o755) != 0 && errno != EEXIST { throw FileSystemError("mkdir", dir) }
        }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Names in a directory (without "." and "..").
    public static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw FileSystemError("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Reads a whole file.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = try syscall("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var st = stat()
        try syscall("stat", path) { fstat(fd, &st) }
        var result = [UInt8](repeating: 0, count: Int(st.st_size))
        var offset = 0
        try result.withUnsafeMutableBytes { raw in
            while offset < raw.count {
                let n = Glibc.read(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileSystemError("read", path)
                }
                if n == 0 { break }
                offset += n
            }
        }
        if offset < result.count { result.removeSubrange(offset...) }
        return result
    }

    /// Reads `length` bytes at `offset` of a file.
    public static func read(_ path: String, offset: UInt64, length: Int) throws -> [UInt8] {
        let fd = try syscall("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var result = [UInt8](repeating: 0, count: length)
        var done = 0
        try result.withUnsafeMutableBytes { raw in
            while done < length {
                let n = pread(fd, raw.baseAddress! + done, length - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileSystemError("read", path)
                }
                if n == 0 { break }
                done += n
            }
        }
        if done < length { result.removeSubrange(done...) }
        return result
    }
}

/// A read-only memory mapping of a whole file; unmapped when released. Pages are read
/// by the kernel on first touch, so opening an index reads only what a query uses.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    private let base: UnsafeMutableRawPointer?
    public let count: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError("stat", path) }
        count = Int(st.st_size)
        if count == 0 {
            base = nil
            return
        }
        let p = mmap(nil, count, PROT_READ, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { throw FileSystemError("mmap", path) }
        base = p
    }

    deinit {
        if let base { munmap(base, count) }
    }

    /// The mapped bytes; valid while this object is alive.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: count)
    }
}

/// An advisory write lock on a file (flock): it dies with its process, so a killed
/// writer never leaves a stale lock. The holder's pid is written into the file.
public final class WriteLock {
    private let fd: Int32

    public enum Failure: Error, CustomStringConvertible {
        case held(pid: Int32?, path: String)
        public var description: String {
            switch self {
            case let .held(pid, path):
                "index is being updated by process \(pid.map(String.init) ?? "unknown") (lock \(path))"
            }
        }
    }

    public init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 32, 0)
            close(fd)
            let text = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
            throw Failure.held(pid: Int32(text.trimmingCharacters(in: " \n")), path: path)
        }
        self.fd = fd
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }
}
