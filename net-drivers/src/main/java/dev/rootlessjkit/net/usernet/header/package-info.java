/**
 * Header views: static accessors at an offset of a frame's {@link io.netty.buffer.ByteBuf}, so parsing never copies
 * or allocates. Protocol state lives elsewhere.
 */
package dev.rootlessjkit.net.usernet.header;
