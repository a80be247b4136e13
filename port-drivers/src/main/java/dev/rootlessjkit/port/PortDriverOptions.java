package dev.rootlessjkit.port;

/**
 * The port flags of the command line, made and checked once by the CLI and read as they are by the port driver.
 *
 * @param sourceIpTransparent --source-ip-transparent: the builtin driver keeps each TCP client's source address
 *                            (usernet always does; the other drivers cannot)
 */
public record PortDriverOptions(PortDriverKind kind, boolean sourceIpTransparent) {
}
