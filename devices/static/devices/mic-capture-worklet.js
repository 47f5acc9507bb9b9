/* The microphone's samples, taken on the audio thread (avatar-speech.js loads this module).
 *
 * The main-thread ScriptProcessorNode it replaces dropped whole buffers whenever the page's
 * thread was busy (a kiosk drawing the avatar on a loaded machine): the recogniser then heard a
 * garbled question. Here every render quantum is copied into blocks of 2048 samples that are
 * posted to the page, where they queue until it gets to them. A "flush" message posts what is
 * left of the current block and then "flushed", so the page knows it has every sample.
 */
class BankMicCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(2048);
    this.filled = 0;
    this.port.onmessage = () => {
      this.post();
      this.port.postMessage("flushed");
    };
  }

  post() {
    if (!this.filled) return;
    this.port.postMessage(this.block.slice(0, this.filled));
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) {
      let offset = 0;
      while (offset < channel.length) {
        const count = Math.min(channel.length - offset, this.block.length - this.filled);
        this.block.set(channel.subarray(offset, offset + count), this.filled);
        this.filled += count;
        offset += count;
        if (this.filled === this.block.length) this.post();
      }
    }
    return true; // keep running until the page disconnects it
  }
}

registerProcessor("bank-mic-capture", BankMicCapture);
