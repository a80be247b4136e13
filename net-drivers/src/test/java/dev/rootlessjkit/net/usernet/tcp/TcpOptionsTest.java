package dev.rootlessjkit.net.usernet.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.net.usernet.header.Tcp;
import org.junit.jupiter.api.Test;

class TcpOptionsTest {
    @Test
    void mssIsThePeersFlooredAndNeverAboveOurs() {
        assertEquals(TcpOptions.DEFAULT_MSS, TcpOptions.mss(Tcp.ABSENT, 1460));
        assertEquals(TcpOptions.MIN_MSS, TcpOptions.mss(1, 1460));
        assertEquals(1400, TcpOptions.mss(1400, 1460));
        assertEquals(1460, TcpOptions.mss(65495, 1460));
    }

    @Test
    void windowShifts() {
        assertEquals(0, TcpOptions.sendShift(Tcp.ABSENT));
        assertEquals(7, TcpOptions.sendShift(7));
        assertEquals(14, TcpOptions.sendShift(200), "RFC 7323's largest");
        assertEquals(0, TcpOptions.receiveShift(0xffff));
        assertEquals(1, TcpOptions.receiveShift(0x10000));
        assertEquals(7, TcpOptions.receiveShift(4 << 20));
    }
}
