// Line charts on a canvas: each series is drawn against its own [0, max] scale, newest on the right.
export function drawCurves(canvas, series, xMax) {
  const g = canvas.getContext("2d"),
    W = canvas.width,
    H = canvas.height,
    pad = 28;
  g.clearRect(0, 0, W, H);
  g.strokeStyle = "#ccc";
  g.lineWidth = 1;
  g.strokeRect(pad, 4, W - pad - 4, H - pad);
  g.font = "11px sans-serif";
  g.fillStyle = "#555";
  g.fillText("0", pad - 10, H - pad + 12);
  g.fillText(`step ${xMax}`, W - 70, H - pad + 14);
  series.forEach((s, i) => {
    g.fillStyle = s.color;
    g.fillText(`${s.label} (0–${s.max})`, pad + 6 + i * 150, H - 6);
    if (s.points.length === 0) return;
    g.strokeStyle = s.color;
    g.lineWidth = 1.5;
    g.beginPath();
    s.points.forEach(([x, y], j) => {
      const px = pad + (x / Math.max(xMax, 1)) * (W - pad - 4),
        py = 4 + (1 - Math.min(y / s.max, 1)) * (H - pad - 4);
      if (j === 0) g.moveTo(px, py);
      else g.lineTo(px, py);
    });
    g.stroke();
    if (s.dots)
      for (const [x, y] of s.points) {
        const px = pad + (x / Math.max(xMax, 1)) * (W - pad - 4),
          py = 4 + (1 - Math.min(y / s.max, 1)) * (H - pad - 4);
        g.fillStyle = s.color;
        g.beginPath();
        g.arc(px, py, 3.5, 0, 2 * Math.PI);
        g.fill();
      }
  });
}

/** A grayscale image (bytes or floats in [0, 1]) drawn scaled into a canvas. */
export function drawImage(canvas, pixels, rows, cols, scale255) {
  const small = new OffscreenCanvas(cols, rows),
    g = small.getContext("2d"),
    img = g.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const v = scale255 ? pixels[i] : Math.round(pixels[i] * 255);
    img.data.set([v, v, v, 255], 4 * i);
  }
  g.putImageData(img, 0, 0);
  const big = canvas.getContext("2d");
  big.imageSmoothingEnabled = false;
  big.drawImage(small, 0, 0, canvas.width, canvas.height);
}
