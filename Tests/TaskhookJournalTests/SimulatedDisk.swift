import Synchronization
import SystemPackage
import TaskhookPosix

/// A disk in memory under the journal, for fault injection and power loss.
///
/// Reads see every write (the page cache). What a power loss leaves is decided from each
/// file's history of page writes and truncations and the directory's history of names: what a
/// successful `fsync`/`fdatasync` (files) or directory sync (names) covered survives; what
/// came after may survive or not, page by page and in any order, and a page being written may
/// be torn at any byte (the rest of that 512-byte sector unreadable garbage, the sectors after
/// it as they were). A failed sync behaves as Linux does: the pages it covered are left to
/// chance and a later successful sync does not bring them back.
final class SimulatedDisk: DurableFileSystem {
    static let pageSize = 4096
    static let sectorSize = 512

    /// A failure to inject: the `skip`+1-th matching operation fails with `errno`.
    struct Fault: Sendable {
        enum Operation: Sendable, Equatable { case pwrite, fdatasync, fsync, syncDirectory, rename, create }
        var operation: Operation
        /// Only operations on paths containing this.
        var path = ""
        var skip = 0
        var errno = Errno.ioError
        /// A failing pwrite first writes this many bytes (a short, torn write).
        var writtenBeforeFailing = 0
    }

    enum Durability: Sendable, Equatable {
        /// Covered by a successful sync.
        case durable
        /// Not yet synced.
        case pending
        /// A sync covering it failed: whether it reached the disk is unknown.
        case uncertain
    }

    /// One page of one write, as the kernel writes it back: the page's whole contents.
    struct PageWrite: Sendable {
        var page: Int
        var bytes: [UInt8]
    }

    enum FileChange: Sendable {
        case page(PageWrite)
        case truncate(Int)
    }

    enum NameChange: Sendable {
        case link(String, inode: Int)
        case unlink(String)
        case rename(String, String)
    }

    /// What a power loss does with one change that no successful sync covered.
    enum Fate: Sendable, Equatable {
        case lost
        case kept
        /// A page write cut at this byte of the page.
        case torn(at: Int)
    }

    struct Inode: Sendable {
        var contents: [UInt8] = []
        var history: [(change: FileChange, durability: Durability)] = []
        var modified: Int64 = 0
    }

    struct State: Sendable {
        var inodes: [Int: Inode] = [:]
        var names: [String: Int] = [:]
        var nameHistory: [(change: NameChange, directory: String, durability: Durability)] = []
        var directories: Set<String> = []
        var nextInode = 1
        var faults: [Fault] = []
        var operations = 0
        var writeBacks: [WriteBack] = []
    }

    /// A `writeBack` asked of a file: recorded, not acted on (see `SimulatedFile.writeBack`).
    struct WriteBack: Sendable, Equatable {
        var path: String
        var offset: Int
        var count: Int
        var waiting: Bool
    }

    var writeBacks: [WriteBack] { state.withLock { $0.writeBacks } }

    fileprivate func record(_ writeBack: WriteBack) { state.withLock { $0.writeBacks.append(writeBack) } }

    private let state = Mutex(State())
    /// Called after every operation that changes the disk (not under the disk's lock), with
    /// what it was: the power-loss test takes its crash images here.
    let afterChange: (@Sendable (SimulatedDisk, String) -> Void)?

    init(afterChange: (@Sendable (SimulatedDisk, String) -> Void)? = nil) {
        self.afterChange = afterChange
    }

    private init(state: State) {
        self.state.withLock { $0 = state }
        afterChange = nil
    }

    func inject(_ fault: Fault) { state.withLock { $0.faults.append(fault) } }

    var operationCount: Int { state.withLock { $0.operations } }

    /// Throws the injected fault matching this operation, if one is due.
    private static func due(_ operation: Fault.Operation, _ path: String, in state: inout State) -> Fault? {
        guard
            let index = state.faults.firstIndex(where: {
                $0.operation == operation && ($0.path.isEmpty || path.contains($0.path))
            })
        else { return nil }
        if state.faults[index].skip > 0 {
            state.faults[index].skip -= 1
            return nil
        }
        return state.faults.remove(at: index)
    }

    private func changed(_ what: String) { afterChange?(self, what) }

    // MARK: Power loss

    /// The disk as a power loss at this moment could leave it; `fate` decides each unsynced
    /// change (in the order they were made) and each unsynced name change.
    func afterPowerLoss(
        fileFate: (_ path: String, _ index: Int, FileChange) -> Fate = { _, _, _ in .lost },
        nameFate: (_ index: Int, NameChange) -> Fate = { _, _ in .lost }
    ) -> SimulatedDisk {
        let current = state.withLock { $0 }
        var names: [String: Int] = [:]
        for (index, entry) in current.nameHistory.enumerated() {
            if entry.durability != .durable, nameFate(index, entry.change) != .kept { continue }
            switch entry.change {
            case .link(let path, let inode): names[path] = inode
            case .unlink(let path): names[path] = nil
            case .rename(let from, let to):
                names[to] = names[from]
                names[from] = nil
            }
        }
        var survivor = State()
        survivor.directories = current.directories
        survivor.nextInode = current.nextInode
        let pathOf = Dictionary(current.names.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for (path, number) in names {
            guard let inode = current.inodes[number] else { continue }
            var bytes: [UInt8] = []
            for (index, entry) in inode.history.enumerated() {
                let fate = entry.durability == .durable ? .kept : fileFate(pathOf[number] ?? path, index, entry.change)
                switch (entry.change, fate) {
                case (_, .lost): continue
                case (.truncate(let size), _):
                    if bytes.count > size {
                        bytes.removeLast(bytes.count - size)
                    } else {
                        bytes += [UInt8](repeating: 0, count: size - bytes.count)
                    }
                case (.page(let write), .kept): Self.apply(write, cutAt: write.bytes.count, to: &bytes)
                case (.page(let write), .torn(let at)): Self.apply(write, cutAt: at, to: &bytes)
                }
            }
            var survived = Inode()
            survived.contents = bytes
            survived.modified = inode.modified
            if !bytes.isEmpty { survived.history = [(.page(PageWrite(page: -1, bytes: bytes)), .durable)] }
            survivor.inodes[number] = survived
            survivor.names[path] = number
            survivor.nameHistory.append((.link(path, inode: number), Self.directory(of: path), .durable))
        }
        return SimulatedDisk(state: survivor)
    }

    /// Writes a page (page -1: the whole file) up to `cutAt`; a cut leaves the rest of its
    /// sector garbage.
    private static func apply(_ write: PageWrite, cutAt: Int, to bytes: inout [UInt8]) {
        let base = max(0, write.page) * pageSize
        let cut = min(cutAt, write.bytes.count)
        var end = base + cut
        if cut < write.bytes.count {
            end = min(base + write.bytes.count, base + (cut / sectorSize + 1) * sectorSize)
        }
        if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
        bytes.replaceSubrange(base..<(base + cut), with: write.bytes[0..<cut])
        bytes.replaceSubrange((base + cut)..<end, with: repeatElement(0xA5, count: end - base - cut))
    }

    /// Unsynced changes of every file, by path, and of the names: what a test may decide.
    var unsynced: (files: [(path: String, index: Int, change: FileChange)], names: [(index: Int, change: NameChange)]) {
        state.withLock { state in
            var files: [(String, Int, FileChange)] = []
            for (path, number) in state.names.sorted(by: { $0.key < $1.key }) {
                for (index, entry) in (state.inodes[number]?.history ?? []).enumerated()
                where entry.durability != .durable {
                    files.append((path, index, entry.change))
                }
            }
            let names = state.nameHistory.enumerated().filter { $0.element.durability != .durable }.map {
                ($0.offset, $0.element.change)
            }
            return (files, names)
        }
    }

    // MARK: Test access

    func bytes(_ path: String) -> [UInt8]? {
        state.withLock { state in state.names[path].flatMap { state.inodes[$0]?.contents } }
    }

    /// Overwrites a file's contents as if synced (damage, or a file from elsewhere).
    func place(_ path: String, _ bytes: [UInt8]) {
        state.withLock { state in
            let number = state.names[path] ?? state.nextInode
            if state.names[path] == nil {
                state.nextInode += 1
                state.names[path] = number
                state.nameHistory.append((.link(path, inode: number), Self.directory(of: path), .durable))
            }
            state.inodes[number] = Inode(
                contents: bytes, history: [(.page(PageWrite(page: -1, bytes: bytes)), .durable)],
                modified: FileSystem.wallClockMilliseconds() / 1000)
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    // MARK: DurableFileSystem

    func list(_ directory: String) throws(SyscallError) -> [String] {
        let (names, known) = state.withLock { state in
            (state.names.keys.filter { Self.directory(of: $0) == directory }, state.directories.contains(directory))
        }
        guard known else { throw SyscallError("opendir(\(directory))", .noSuchFileOrDirectory) }
        return names.map { String($0.dropFirst(directory.count + 1)) }
    }

    func createDirectories(_ path: String) throws(SyscallError) { state.withLock { _ = $0.directories.insert(path) } }

    func exists(_ path: String) -> Bool { state.withLock { $0.names[path] != nil || $0.directories.contains(path) } }

    func remove(_ path: String) throws(SyscallError) {
        let found = state.withLock { state -> Bool in
            guard state.names.removeValue(forKey: path) != nil else { return false }
            state.nameHistory.append((.unlink(path), Self.directory(of: path), .pending))
            state.operations += 1
            return true
        }
        guard found else { throw SyscallError("unlink(\(path))", .noSuchFileOrDirectory) }
        changed("unlink \(path)")
    }

    func rename(_ from: String, to: String) throws(SyscallError) {
        let outcome = state.withLock { state -> Errno? in
            if let fault = Self.due(.rename, from, in: &state) { return fault.errno }
            guard let number = state.names.removeValue(forKey: from) else { return .noSuchFileOrDirectory }
            state.names[to] = number
            state.nameHistory.append((.rename(from, to), Self.directory(of: to), .pending))
            state.operations += 1
            return nil
        }
        if let outcome { throw SyscallError("rename(\(from), \(to))", outcome) }
        changed("rename \(from) \(to)")
    }

    func syncDirectory(_ path: String) throws(SyscallError) {
        let failure = state.withLock { state -> Errno? in
            let fault = Self.due(.syncDirectory, path, in: &state)
            for index in state.nameHistory.indices
            where state.nameHistory[index].directory == path && state.nameHistory[index].durability == .pending {
                state.nameHistory[index].durability = fault == nil ? .durable : .uncertain
            }
            state.operations += 1
            return fault?.errno
        }
        changed("fsync \(path)/")
        if let failure { throw SyscallError("fsync(\(path))", failure) }
    }

    func modificationTime(_ path: String) throws(SyscallError) -> Int64 {
        guard let time = state.withLock({ s in s.names[path].flatMap { s.inodes[$0]?.modified } }) else {
            throw SyscallError("stat(\(path))", .noSuchFileOrDirectory)
        }
        return time
    }

    func contents(of path: String, mapped: Bool) throws(SyscallError) -> FileContents {
        guard let bytes = bytes(path) else { throw SyscallError("open(\(path))", .noSuchFileOrDirectory) }
        return .copied(bytes)
    }

    func create(_ path: String) throws(SyscallError) -> any DurableFile {
        let outcome = state.withLock { state -> Result<Int, Errno> in
            if let fault = Self.due(.create, path, in: &state) { return .failure(fault.errno) }
            guard state.names[path] == nil else { return .failure(.fileExists) }
            let number = state.nextInode
            state.nextInode += 1
            state.inodes[number] = Inode(modified: FileSystem.wallClockMilliseconds() / 1000)
            state.names[path] = number
            state.nameHistory.append((.link(path, inode: number), Self.directory(of: path), .pending))
            state.operations += 1
            return .success(number)
        }
        switch outcome {
        case .success(let number):
            changed("create \(path)")
            return SimulatedFile(disk: self, path: path, inode: number)
        case .failure(let errno): throw SyscallError("open(\(path))", errno)
        }
    }

    func openForWriting(_ path: String) throws(SyscallError) -> any DurableFile {
        guard let number = state.withLock({ $0.names[path] }) else {
            throw SyscallError("open(\(path))", .noSuchFileOrDirectory)
        }
        return SimulatedFile(disk: self, path: path, inode: number)
    }

    // MARK: Files

    fileprivate func size(_ inode: Int) -> Int { state.withLock { $0.inodes[inode]?.contents.count ?? 0 } }

    fileprivate func write(_ bytes: [UInt8], at offset: Int, inode: Int, path: String) throws(SyscallError) {
        let failure = state.withLock { state -> Errno? in
            var count = bytes.count
            let fault = Self.due(.pwrite, path, in: &state)
            if let fault { count = min(count, fault.writtenBeforeFailing) }
            guard var node = state.inodes[inode] else { return .badFileDescriptor }
            if count > 0 {
                let end = offset + count
                if node.contents.count < end {
                    node.contents += [UInt8](repeating: 0, count: end - node.contents.count)
                }
                node.contents.replaceSubrange(offset..<end, with: bytes[0..<count])
                for page in (offset / Self.pageSize)...((end - 1) / Self.pageSize) {
                    let start = page * Self.pageSize
                    let pageBytes = Array(node.contents[start..<min(node.contents.count, start + Self.pageSize)])
                    node.history.append((.page(PageWrite(page: page, bytes: pageBytes)), .pending))
                }
                node.modified = FileSystem.wallClockMilliseconds() / 1000
            }
            state.inodes[inode] = node
            state.operations += 1
            return fault?.errno
        }
        changed("pwrite \(path) \(offset)+\(bytes.count)")
        if let failure { throw SyscallError("pwrite(\(path))", failure) }
    }

    fileprivate func truncate(_ inode: Int, to size: Int) {
        state.withLock { state in
            guard var node = state.inodes[inode] else { return }
            if node.contents.count > size {
                node.contents.removeLast(node.contents.count - size)
            } else {
                node.contents += [UInt8](repeating: 0, count: size - node.contents.count)
            }
            node.history.append((.truncate(size), .pending))
            state.inodes[inode] = node
            state.operations += 1
        }
    }

    fileprivate func sync(_ inode: Int, path: String, data: Bool) throws(SyscallError) {
        let failure = state.withLock { state -> Errno? in
            let fault = Self.due(data ? .fdatasync : .fsync, path, in: &state)
            guard var node = state.inodes[inode] else { return .badFileDescriptor }
            for index in node.history.indices where node.history[index].durability == .pending {
                node.history[index].durability = fault == nil ? .durable : .uncertain
            }
            state.inodes[inode] = node
            state.operations += 1
            return fault?.errno
        }
        changed("\(data ? "fdatasync" : "fsync") \(path)")
        if let failure { throw SyscallError("\(data ? "fdatasync" : "fsync")(\(path))", failure) }
    }
}

/// A descriptor on the simulated disk: it follows its inode through renames and unlinks.
final class SimulatedFile: DurableFile {
    let disk: SimulatedDisk
    let path: String
    let inode: Int

    init(disk: SimulatedDisk, path: String, inode: Int) {
        self.disk = disk
        self.path = path
        self.inode = inode
    }

    func size() throws(SyscallError) -> Int { disk.size(inode) }
    func write(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(SyscallError) {
        try disk.write(Array(bytes), at: offset, inode: inode, path: path)
    }
    func syncData() throws(SyscallError) { try disk.sync(inode, path: path, data: true) }
    func sync() throws(SyscallError) { try disk.sync(inode, path: path, data: false) }
    func truncate(to size: Int) throws(SyscallError) { disk.truncate(inode, to: size) }
    func dropCachedPages(offset: Int, count: Int) {}
    /// Recorded only: pages persist at a sync or, at a power loss, in any order, as on a real
    /// disk whatever was written back.
    func writeBack(offset: Int, count: Int, waiting: Bool) {
        disk.record(.init(path: path, offset: offset, count: count, waiting: waiting))
    }
    func close() {}
}
