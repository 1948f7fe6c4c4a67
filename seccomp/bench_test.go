package seccomp

import "testing"

func BenchmarkCompileDefault(b *testing.B) {
	p := DefaultProfile()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(p); err != nil {
			b.Fatal(err)
		}
	}
}
