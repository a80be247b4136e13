package dev.rootlessjkit.messages;

/**
 * Either side: "I am closing the channel". The receiver closes its end as well. The end of a pipe alone does not
 * tell, because {@code unshare --fork} keeps a copy of the child's write end open for as long as it waits.
 */
public record Goodbye() implements Message {
}
