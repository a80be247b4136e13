/** usernet: a user-mode TCP/IP stack that terminates the child's TAP device inside the parent JVM. */
package dev.rootlessjkit.net.usernet;
