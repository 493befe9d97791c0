/// The release every Starling program reports with `--version`; the Debian packages built by
/// `make package` take their version from it, so one number names the binaries and the packages.
public enum StarlingRelease {
    public static let version = "0.1.0"
}
