import socket, time
ss=[]
for i in range(4):
    s=socket.socket(); s.setblocking(False)
    try: s.connect(('127.0.0.1',18812))
    except BlockingIOError: pass
    ss.append(s)
time.sleep(1000)
